CREATE TABLE `exception_transitions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`exception_id` text NOT NULL,
	`from_state` text,
	`to_state` text NOT NULL,
	`by` text NOT NULL,
	`note` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `exception_transitions_exception` ON `exception_transitions` (`exception_id`,`seq`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
ALTER TABLE `exceptions` ADD `replays` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `exceptions` ADD `last_failure` text;--> statement-breakpoint
ALTER TABLE `exceptions` ADD `lease_until` integer;