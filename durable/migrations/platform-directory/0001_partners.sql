CREATE TABLE `partner_hosts` (
	`host` text PRIMARY KEY NOT NULL,
	`partner` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `partners` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`branding` text,
	`logo` text,
	`branding_updated_at` integer
);
--> statement-breakpoint
ALTER TABLE `tenants` ADD `partner` text;