PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_remote_skus` (
	`target` text DEFAULT '' NOT NULL,
	`sku` text NOT NULL,
	`wanted` integer NOT NULL,
	`wanted_seq` integer NOT NULL,
	`changed_at` integer NOT NULL,
	`remote_id` text,
	`unmapped` integer NOT NULL,
	`remote` integer,
	`confirmed_at` integer,
	`pending` integer NOT NULL,
	PRIMARY KEY(`target`, `sku`)
);
--> statement-breakpoint
INSERT INTO `__new_remote_skus`("target", "sku", "wanted", "wanted_seq", "changed_at", "remote_id", "unmapped", "remote", "confirmed_at", "pending") SELECT "target", "sku", "wanted", "wanted_seq", "changed_at", "remote_id", "unmapped", "remote", "confirmed_at", "pending" FROM `remote_skus`;--> statement-breakpoint
DROP TABLE `remote_skus`;--> statement-breakpoint
ALTER TABLE `__new_remote_skus` RENAME TO `remote_skus`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `remote_skus_pending` ON `remote_skus` (`pending`,`changed_at`);--> statement-breakpoint
CREATE INDEX `remote_skus_sku` ON `remote_skus` (`sku`);