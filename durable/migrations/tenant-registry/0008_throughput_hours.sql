CREATE TABLE `throughput_hours` (
	`hour` integer NOT NULL,
	`metric` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`hour`, `metric`)
);
