CREATE TABLE `settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`webhook_secret` text NOT NULL,
	`channel` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`topic` text NOT NULL,
	`state` text NOT NULL,
	`summary` text,
	`received_at` integer NOT NULL,
	`settled_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhooks_received_at` ON `webhooks` (`received_at`);