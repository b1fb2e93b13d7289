CREATE TABLE `sales_documents` (
	`seq` integer PRIMARY KEY NOT NULL,
	`external_id` text NOT NULL,
	`document` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer NOT NULL,
	`not_before` integer NOT NULL,
	`progress` text,
	`last_error` text,
	`posted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sales_documents_external_id_unique` ON `sales_documents` (`external_id`);--> statement-breakpoint
CREATE INDEX `sales_documents_state` ON `sales_documents` (`state`,`not_before`);--> statement-breakpoint
ALTER TABLE `connection` ADD `sales_cursor` integer DEFAULT 0 NOT NULL;