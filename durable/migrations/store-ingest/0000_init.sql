CREATE TABLE `ingest_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`location` text NOT NULL,
	`high_water_mark` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `received_sequences` (
	`sequence` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE `transactions` (
	`transaction_id` text PRIMARY KEY NOT NULL,
	`sequence` integer NOT NULL,
	`status` text NOT NULL,
	`code` text,
	`reason` text,
	`body` text,
	`movements` text,
	`received_at` integer NOT NULL,
	`settled_at` integer
);
--> statement-breakpoint
CREATE INDEX `transactions_status` ON `transactions` (`status`,`sequence`);