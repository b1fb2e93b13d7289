CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `ledger` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`location` text NOT NULL,
	`on_hand_delta` integer NOT NULL,
	`reserved_delta` integer NOT NULL,
	`safety_stock_delta` integer NOT NULL,
	`reason` text,
	`reference` text,
	`reservation_id` text,
	`idempotency_key` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `location_stock` (
	`location` text PRIMARY KEY NOT NULL,
	`on_hand` integer NOT NULL,
	`safety_stock` integer NOT NULL,
	`reserved` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reservations` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`qty` integer NOT NULL,
	`status` text NOT NULL,
	`reference` text NOT NULL,
	`allocations` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`closed_at` integer
);
--> statement-breakpoint
CREATE INDEX `reservations_active_expiry` ON `reservations` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `sku_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`sku` text NOT NULL,
	`published_version` integer NOT NULL
);
