CREATE TABLE `remote_orders` (
	`external_id` text PRIMARY KEY NOT NULL,
	`lines` text NOT NULL,
	`recorded_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `shipments` (
	`event_id` text PRIMARY KEY NOT NULL,
	`external_id` text NOT NULL,
	`lines` text NOT NULL,
	`carrier` text,
	`tracking` text,
	`state` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	`settled_at` integer
);
--> statement-breakpoint
CREATE INDEX `shipments_state` ON `shipments` (`state`,`created_at`);