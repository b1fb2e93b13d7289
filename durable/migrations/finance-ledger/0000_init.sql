CREATE TABLE `contributions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`external_id` text NOT NULL,
	`business_date` text NOT NULL,
	`location` text NOT NULL,
	`channel` text NOT NULL,
	`currency` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`postings` text NOT NULL,
	`journal_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contributions_key_unique` ON `contributions` (`key`);--> statement-breakpoint
CREATE INDEX `contributions_journal` ON `contributions` (`journal_id`,`business_date`);--> statement-breakpoint
CREATE INDEX `contributions_source` ON `contributions` (`kind`,`source_id`);--> statement-breakpoint
CREATE TABLE `finance_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`settings` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `journals` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`business_date` text NOT NULL,
	`location` text NOT NULL,
	`channel` text NOT NULL,
	`sequence` integer NOT NULL,
	`currency` text NOT NULL,
	`total_debit` integer NOT NULL,
	`total_credit` integer NOT NULL,
	`source_count` integer NOT NULL,
	`lines` text NOT NULL,
	`location_dimension` text NOT NULL,
	`department` text NOT NULL,
	`class` text NOT NULL,
	`posted_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `journals_id_unique` ON `journals` (`id`);--> statement-breakpoint
CREATE INDEX `journals_day` ON `journals` (`business_date`,`location`,`channel`,`sequence`);--> statement-breakpoint
CREATE TABLE `order_shipping_booked` (
	`order_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `order_units_booked` (
	`order_id` text NOT NULL,
	`sku` text NOT NULL,
	`units` integer NOT NULL,
	PRIMARY KEY(`order_id`, `sku`)
);
