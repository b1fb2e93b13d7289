CREATE TABLE `erp_connections` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`enabled` integer NOT NULL,
	`updated_at` integer NOT NULL
);
