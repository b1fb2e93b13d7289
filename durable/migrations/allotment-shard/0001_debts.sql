CREATE TABLE `debts` (
	`location` text PRIMARY KEY NOT NULL,
	`qty` integer NOT NULL
);
