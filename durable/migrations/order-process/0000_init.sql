CREATE TABLE `holdings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`attempt` integer NOT NULL,
	`sku` text NOT NULL,
	`location` text NOT NULL,
	`qty` integer NOT NULL,
	`reservation_id` text,
	`state` text NOT NULL,
	`committed` integer NOT NULL,
	`released` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `holdings_sku_location` ON `holdings` (`sku`,`location`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `order_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`cause` text NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE TABLE `order_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`order_id` text NOT NULL,
	`channel` text NOT NULL,
	`external_id` text NOT NULL,
	`status` text NOT NULL,
	`request` text NOT NULL,
	`rules` text NOT NULL,
	`shortage_policy` text NOT NULL,
	`shortages` text NOT NULL,
	`attempt` integer NOT NULL,
	`operations` integer NOT NULL,
	`version` integer NOT NULL,
	`indexed_version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `saga_steps` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`holding_id` integer,
	`qty` integer NOT NULL,
	`key` text NOT NULL,
	`state` text NOT NULL,
	`failure` text,
	`tries` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `saga_steps_key_unique` ON `saga_steps` (`key`);--> statement-breakpoint
CREATE INDEX `saga_steps_state` ON `saga_steps` (`state`,`seq`);--> statement-breakpoint
CREATE TABLE `sku_units` (
	`sku` text PRIMARY KEY NOT NULL,
	`ordered` integer NOT NULL,
	`fulfilled` integer NOT NULL,
	`cancelled` integer NOT NULL
);
