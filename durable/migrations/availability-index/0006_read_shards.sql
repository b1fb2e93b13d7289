ALTER TABLE `index_meta` ADD `forwarded_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `index_meta` ADD `shards_ready` integer DEFAULT false NOT NULL;