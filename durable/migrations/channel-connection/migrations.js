import journal from './meta/_journal.json';
import m0000 from './0000_init.sql';
import m0001 from './0001_remote_ref.sql';
import m0002 from './0002_rate_buckets.sql';
import m0003 from './0003_orders_checked_at.sql';
import m0004 from './0004_shipments.sql';
import m0005 from './0005_orders_and_shipments.sql';
import m0006 from './0006_remote_sku_target.sql';
import m0007 from './0007_connection_locations.sql';
import m0008 from './0008_confirm_lags.sql';
import m0009 from './0009_feed_document.sql';
import m0010 from './0010_usage_months.sql';
import m0011 from './0011_shipment_trace.sql';

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
m0009,
m0010,
m0011
    }
  }
  