CREATE TABLE `buckets` (
	`operation` text PRIMARY KEY NOT NULL,
	`available` real NOT NULL,
	`at` integer NOT NULL
);
