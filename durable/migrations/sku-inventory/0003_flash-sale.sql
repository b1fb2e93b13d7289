CREATE TABLE `allotment_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`shard` integer NOT NULL,
	`direction` text NOT NULL,
	`allocations` text NOT NULL,
	`status` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `allotments` (
	`channel` text NOT NULL,
	`shard` integer NOT NULL,
	`location` text NOT NULL,
	`qty` integer NOT NULL,
	PRIMARY KEY(`channel`, `shard`, `location`)
);
--> statement-breakpoint
CREATE TABLE `hot_channels` (
	`channel` text PRIMARY KEY NOT NULL,
	`shards` integer NOT NULL,
	`since` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `shard_commits` (
	`reservation_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `sku_meta` ADD `shard_moves` integer DEFAULT 0 NOT NULL;