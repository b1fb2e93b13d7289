CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `order_tally` (
	`order_id` text NOT NULL,
	`sku` text NOT NULL,
	`ordered` integer NOT NULL,
	`amount` integer NOT NULL,
	`returned` integer NOT NULL,
	`received` integer NOT NULL,
	PRIMARY KEY(`order_id`, `sku`)
);
--> statement-breakpoint
CREATE TABLE `received_lines` (
	`return_id` text NOT NULL,
	`receipt` integer NOT NULL,
	`line` integer NOT NULL,
	`sku` text NOT NULL,
	`qty` integer NOT NULL,
	`location` text NOT NULL,
	`disposition` text NOT NULL,
	`refund` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`return_id`, `receipt`, `line`)
);
--> statement-breakpoint
CREATE TABLE `return_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`return_id` text NOT NULL,
	`type` text NOT NULL,
	`detail` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `return_events_return` ON `return_events` (`return_id`,`seq`);--> statement-breakpoint
CREATE TABLE `return_lines` (
	`return_id` text NOT NULL,
	`sku` text NOT NULL,
	`qty` integer NOT NULL,
	`reason` text NOT NULL,
	`received` integer NOT NULL,
	PRIMARY KEY(`return_id`, `sku`)
);
--> statement-breakpoint
CREATE TABLE `returns` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`order_id` text NOT NULL,
	`external_key` text,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `returns_id_unique` ON `returns` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `returns_external_key` ON `returns` (`external_key`);--> statement-breakpoint
CREATE INDEX `returns_order` ON `returns` (`order_id`);--> statement-breakpoint
CREATE TABLE `stock_effects` (
	`id` text PRIMARY KEY NOT NULL,
	`return_id` text NOT NULL,
	`kind` text NOT NULL,
	`sku` text NOT NULL,
	`location` text NOT NULL,
	`qty` integer NOT NULL,
	`reference` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stock_effects_state` ON `stock_effects` (`state`);