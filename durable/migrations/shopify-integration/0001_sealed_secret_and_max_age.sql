ALTER TABLE `settings` ADD `masked_secret` text;--> statement-breakpoint
ALTER TABLE `settings` ADD `max_delivery_age_seconds` integer;