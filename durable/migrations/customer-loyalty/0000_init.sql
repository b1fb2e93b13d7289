CREATE TABLE `account` (
	`id` integer PRIMARY KEY NOT NULL,
	`debt` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `entries` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`balance_delta` integer NOT NULL,
	`held_delta` integer NOT NULL,
	`source` text NOT NULL,
	`reference` text NOT NULL,
	`hold_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `holds` (
	`id` text PRIMARY KEY NOT NULL,
	`points` integer NOT NULL,
	`status` text NOT NULL,
	`reference` text NOT NULL,
	`takes` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`closed_at` integer
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
CREATE TABLE `lots` (
	`id` text PRIMARY KEY NOT NULL,
	`earned` integer NOT NULL,
	`remaining` integer NOT NULL,
	`held` integer NOT NULL,
	`expired_points` integer NOT NULL,
	`reversed` integer NOT NULL,
	`earned_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`expired` integer NOT NULL,
	`reference` text NOT NULL,
	`source_key` text
);
--> statement-breakpoint
CREATE INDEX `lots_source_key` ON `lots` (`source_key`);--> statement-breakpoint
CREATE INDEX `lots_expires_at` ON `lots` (`expires_at`);--> statement-breakpoint
CREATE TABLE `redemptions` (
	`id` text PRIMARY KEY NOT NULL,
	`points` integer NOT NULL,
	`reference` text NOT NULL,
	`hold_id` text,
	`takes` text NOT NULL,
	`reversed` integer NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sources` (
	`key` text PRIMARY KEY NOT NULL,
	`outcome` text NOT NULL,
	`at` integer NOT NULL
);
