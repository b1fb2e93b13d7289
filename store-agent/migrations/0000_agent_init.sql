CREATE TABLE `agent_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`location` text NOT NULL,
	`last_sequence` integer NOT NULL,
	`feed_cursor` text,
	`last_push_ok_at` integer,
	`last_pull_ok_at` integer,
	`last_push_error` text,
	`last_pull_error` text,
	`edge_reachable` integer,
	`edge_checked_at` integer,
	`edge_high_water_mark` integer,
	`edge_gaps` text,
	`heartbeat_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `catalog_barcodes` (
	`barcode` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `catalog_barcodes_sku` ON `catalog_barcodes` (`sku`);--> statement-breakpoint
CREATE TABLE `catalog_items` (
	`sku` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dead_letter` (
	`sequence` integer PRIMARY KEY NOT NULL,
	`transaction_id` text NOT NULL,
	`code` text NOT NULL,
	`reason` text,
	`body` text NOT NULL,
	`dead_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`sequence` integer PRIMARY KEY NOT NULL,
	`transaction_id` text NOT NULL,
	`terminal_id` text NOT NULL,
	`type` text NOT NULL,
	`receipt_number` text NOT NULL,
	`body` text NOT NULL,
	`body_hash` text NOT NULL,
	`recorded_at` integer NOT NULL,
	`status` text NOT NULL,
	`edge_status` text,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_transaction_id_unique` ON `outbox` (`transaction_id`);--> statement-breakpoint
CREATE INDEX `outbox_pending` ON `outbox` (`sequence`) WHERE "outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `outbox_sent_at` ON `outbox` (`sent_at`) WHERE "outbox"."status" = 'sent';--> statement-breakpoint
CREATE TABLE `promotion_skus` (
	`promotion_id` text NOT NULL,
	`sku` text NOT NULL,
	PRIMARY KEY(`promotion_id`, `sku`)
);
--> statement-breakpoint
CREATE INDEX `promotion_skus_sku` ON `promotion_skus` (`sku`);--> statement-breakpoint
CREATE TABLE `promotions` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`percent_off` integer,
	`amount_off` integer,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stock` (
	`sku` text PRIMARY KEY NOT NULL,
	`on_hand` integer NOT NULL,
	`available` integer NOT NULL,
	`updated_at` text NOT NULL
);
