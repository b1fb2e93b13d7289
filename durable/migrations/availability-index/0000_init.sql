CREATE TABLE `channel_availability` (
	`channel` text NOT NULL,
	`sku` text NOT NULL,
	`available` integer NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `sku`)
);
--> statement-breakpoint
CREATE INDEX `channel_availability_feed` ON `channel_availability` (`channel`,`seq`);--> statement-breakpoint
CREATE TABLE `channel_rules` (
	`channel` text PRIMARY KEY NOT NULL,
	`locations` text NOT NULL,
	`buffer_units` integer NOT NULL,
	`max_units` integer,
	`max_percent` integer
);
--> statement-breakpoint
CREATE TABLE `index_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sku_figures` (
	`sku` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`locations` text NOT NULL,
	`updated_at` integer NOT NULL
);
