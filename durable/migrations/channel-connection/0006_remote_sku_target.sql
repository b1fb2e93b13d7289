CREATE TABLE `location_cursors` (
	`location` text PRIMARY KEY NOT NULL,
	`cursor` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `remote_skus` ADD `target` text DEFAULT '' NOT NULL;