CREATE TABLE `usage_months` (
	`month` text PRIMARY KEY NOT NULL,
	`writes` integer NOT NULL
);
