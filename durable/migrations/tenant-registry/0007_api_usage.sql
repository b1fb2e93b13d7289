CREATE TABLE `api_usage` (
	`month` text PRIMARY KEY NOT NULL,
	`calls` integer NOT NULL
);
