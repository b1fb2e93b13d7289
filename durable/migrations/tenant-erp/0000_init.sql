CREATE TABLE `imports` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`checksum` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `imports_checksum` ON `imports` (`type`,`checksum`);--> statement-breakpoint
CREATE TABLE `mappings` (
	`type` text PRIMARY KEY NOT NULL,
	`mapping` text NOT NULL,
	`updated_at` integer NOT NULL
);
