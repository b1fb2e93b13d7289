CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text,
	`phone` text,
	`name` text,
	`loyalty_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`merged_into` text,
	`erased_at` integer
);
--> statement-breakpoint
CREATE INDEX `customers_email` ON `customers` (`email`);--> statement-breakpoint
CREATE INDEX `customers_phone` ON `customers` (`phone`);--> statement-breakpoint
CREATE INDEX `customers_loyalty_id` ON `customers` (`loyalty_id`);--> statement-breakpoint
CREATE INDEX `customers_merged_into` ON `customers` (`merged_into`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `loyalty_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`settings` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `merges` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` text NOT NULL,
	`survivor_id` text NOT NULL,
	`field` text NOT NULL,
	`merged_at` integer NOT NULL,
	`unmerged_at` integer
);
--> statement-breakpoint
CREATE INDEX `merges_customer_id` ON `merges` (`customer_id`);--> statement-breakpoint
CREATE INDEX `merges_survivor_id` ON `merges` (`survivor_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`merge_duplicates` integer NOT NULL,
	`default_country` text
);
