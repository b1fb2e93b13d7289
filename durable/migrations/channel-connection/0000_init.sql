CREATE TABLE `activity` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`lag_ms` integer
);
--> statement-breakpoint
CREATE INDEX `activity_kind_at` ON `activity` (`kind`,`at`);--> statement-breakpoint
CREATE TABLE `connection` (
	`id` integer PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`channel` text NOT NULL,
	`settings` text NOT NULL,
	`sealed_credentials` text NOT NULL,
	`masked_credentials` text NOT NULL,
	`locations` text NOT NULL,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`cursor` integer NOT NULL,
	`state` text NOT NULL,
	`last_error` text,
	`last_error_at` integer,
	`failures` integer NOT NULL,
	`bucket` text,
	`write_cost` integer,
	`batches` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `in_flight` (
	`key` text PRIMARY KEY NOT NULL,
	`quantities` text NOT NULL,
	`created_at` integer NOT NULL,
	`tries` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `remote_skus` (
	`sku` text PRIMARY KEY NOT NULL,
	`wanted` integer NOT NULL,
	`wanted_seq` integer NOT NULL,
	`changed_at` integer NOT NULL,
	`remote_id` text,
	`unmapped` integer NOT NULL,
	`remote` integer,
	`confirmed_at` integer,
	`pending` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `remote_skus_pending` ON `remote_skus` (`pending`,`wanted_seq`);