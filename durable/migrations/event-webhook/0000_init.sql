CREATE TABLE `delivery_failures` (
	`event_id` text PRIMARY KEY NOT NULL,
	`attempts` integer NOT NULL,
	`reason` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `delivery_failures_at` ON `delivery_failures` (`at`);--> statement-breakpoint
CREATE TABLE `settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`updated_at` integer NOT NULL
);
