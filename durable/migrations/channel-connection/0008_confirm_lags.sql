CREATE TABLE `confirm_lags` (
	`minute` integer NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`minute`, `bucket`)
);
--> statement-breakpoint
ALTER TABLE `activity` DROP COLUMN `lag_ms`;