import journal from './meta/_journal.json';
import m0000 from './0000_init.sql';
import m0001 from './0001_pos_ledger_key.sql';
import m0002 from './0002_stock-counts.sql';
import m0003 from './0003_flash-sale.sql';
import m0004 from './0004_store_leases.sql';
import m0005 from './0005_ledger_trace_id.sql';
import m0006 from './0006_hot_auto_rate.sql';

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
  