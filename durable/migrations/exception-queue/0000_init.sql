CREATE TABLE `exceptions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`natural_key` text NOT NULL,
	`type` text NOT NULL,
	`subject` text NOT NULL,
	`payload` text NOT NULL,
	`correlation_id` text,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exceptions_id_unique` ON `exceptions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `exceptions_natural_key_unique` ON `exceptions` (`natural_key`);--> statement-breakpoint
CREATE INDEX `exceptions_type` ON `exceptions` (`type`,`seq`);--> statement-breakpoint
CREATE INDEX `exceptions_state` ON `exceptions` (`state`,`seq`);