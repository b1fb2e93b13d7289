CREATE TABLE `location_counts` (
	`location` text PRIMARY KEY NOT NULL,
	`as_of` integer NOT NULL,
	`key` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `ledger` ADD `occurred_at` integer;