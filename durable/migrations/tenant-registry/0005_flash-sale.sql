CREATE TABLE `hot_skus` (
	`sku` text NOT NULL,
	`channel` text NOT NULL,
	`shards` integer NOT NULL,
	PRIMARY KEY(`sku`, `channel`)
);
