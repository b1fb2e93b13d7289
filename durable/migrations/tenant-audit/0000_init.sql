CREATE TABLE `audit_records` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`key_id` text,
	`role` text,
	`method` text NOT NULL,
	`route` text NOT NULL,
	`path` text NOT NULL,
	`object_id` text,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`request_id` text NOT NULL,
	`trace_id` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_records_at` ON `audit_records` (`at`);--> statement-breakpoint
CREATE INDEX `audit_records_key` ON `audit_records` (`key_id`,`seq`);