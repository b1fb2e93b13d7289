CREATE TABLE `sales_documents` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`external_id` text NOT NULL,
	`order_id` text NOT NULL,
	`channel` text NOT NULL,
	`channel_order_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`location` text NOT NULL,
	`business_date` text NOT NULL,
	`currency` text NOT NULL,
	`lines` text NOT NULL,
	`shipping` integer NOT NULL,
	`source_key` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`booked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sales_documents_external_id_unique` ON `sales_documents` (`external_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `sales_documents_source_key_unique` ON `sales_documents` (`source_key`);--> statement-breakpoint
CREATE INDEX `sales_documents_order` ON `sales_documents` (`order_id`,`sequence`);