import journal from './meta/_journal.json';
import m0000 from './0000_init.sql';
import m0001 from './0001_connections.sql';
import m0002 from './0002_key_lifecycle.sql';
import m0003 from './0003_rate_limits.sql';
import m0004 from './0004_erp_connections.sql';
import m0005 from './0005_flash-sale.sql';
import m0006 from './0006_drop_hot_skus.sql';
import m0007 from './0007_api_usage.sql';
import m0008 from './0008_throughput_hours.sql';
import m0009 from './0009_channel_auto_hot.sql';

  export default {
    journal,
    migrations: {
      m0000,
m0001,
m0002,
m0003,
m0004,
m0005,
m0006,
m0007,
m0008,
m0009
    }
  }
  