CREATE TABLE `barcodes` (
	`barcode` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `barcodes_sku` ON `barcodes` (`sku`);--> statement-breakpoint
CREATE TABLE `catalog_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `items` (
	`sku` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`barcodes` text NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `items_feed` ON `items` (`seq`);--> statement-breakpoint
CREATE TABLE `promotions` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`skus` text NOT NULL,
	`percent_off` integer,
	`amount_off` integer,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `promotions_feed` ON `promotions` (`seq`);