CREATE TABLE `console_sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`key_hash` text NOT NULL,
	`key_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `console_sessions_expires_at` ON `console_sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `console_sessions_key_id` ON `console_sessions` (`key_id`);