import journal from './meta/_journal.json';
import m0000 from './0000_init.sql';
import m0001 from './0001_location_stock_feed.sql';
import m0002 from './0002_event_outbox.sql';
import m0003 from './0003_channel_watchers.sql';
import m0004 from './0004_location_watchers.sql';
import m0005 from './0005_store_leases.sql';
import m0006 from './0006_read_shards.sql';

  export default {
    journal,
    migrations: {
      m0000,
m0001,
m0002,
m0003,
m0004,
m0005,
m0006
    }
  }
  