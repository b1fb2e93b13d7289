CREATE TABLE `location_stock` (
	`location` text NOT NULL,
	`sku` text NOT NULL,
	`on_hand` integer NOT NULL,
	`available` integer NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`location`, `sku`)
);
--> statement-breakpoint
CREATE INDEX `location_stock_feed` ON `location_stock` (`location`,`seq`);