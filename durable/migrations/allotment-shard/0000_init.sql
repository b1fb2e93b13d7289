CREATE TABLE `free_units` (
	`location` text PRIMARY KEY NOT NULL,
	`qty` integer NOT NULL
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
CREATE TABLE `reservations` (
	`id` text PRIMARY KEY NOT NULL,
	`qty` integer NOT NULL,
	`status` text NOT NULL,
	`reference` text NOT NULL,
	`allocations` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`closed_at` integer,
	`reported` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `shard_reservations_active_expiry` ON `reservations` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `shard_reservations_unreported` ON `reservations` (`reported`);--> statement-breakpoint
CREATE TABLE `shard_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL,
	`cooled` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `transfers_in` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `transfers_out` (
	`id` text PRIMARY KEY NOT NULL,
	`allocations` text NOT NULL,
	`status` text NOT NULL,
	`at` integer NOT NULL
);
