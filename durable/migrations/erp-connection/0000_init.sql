CREATE TABLE `activity` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `activity_kind_at` ON `activity` (`kind`,`at`);--> statement-breakpoint
CREATE TABLE `connection` (
	`id` integer PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`settings` text NOT NULL,
	`sealed_credentials` text NOT NULL,
	`masked_credentials` text NOT NULL,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`cursor` integer NOT NULL,
	`state` text NOT NULL,
	`last_error` text,
	`last_error_at` integer,
	`failures` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `journals` (
	`seq` integer PRIMARY KEY NOT NULL,
	`journal_id` text NOT NULL,
	`journal` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer NOT NULL,
	`not_before` integer NOT NULL,
	`progress` text,
	`last_error` text,
	`posted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `journals_journal_id_unique` ON `journals` (`journal_id`);--> statement-breakpoint
CREATE INDEX `journals_state` ON `journals` (`state`,`not_before`);