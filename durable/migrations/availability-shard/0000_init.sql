CREATE TABLE `channel_availability` (
	`channel` text NOT NULL,
	`sku` text NOT NULL,
	`available` integer NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `sku`)
);
--> statement-breakpoint
CREATE TABLE `shard_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`ready` integer NOT NULL
);
