ALTER TABLE `connection` ADD `orders_after` text;--> statement-breakpoint
ALTER TABLE `connection` ADD `orders_page_token` text;--> statement-breakpoint
ALTER TABLE `remote_orders` ADD `marketplace_id` text;--> statement-breakpoint
ALTER TABLE `shipments` ADD `attempt` text;--> statement-breakpoint
ALTER TABLE `shipments` ADD `package_ref` text;--> statement-breakpoint
ALTER TABLE `shipments` ADD `sent_at` integer;