// Another process of the service (a second worker, the CLI) moving an item of a cycle, in the
// run store its environment sets (TORIMATOME_S3_URL), as a worker's would.
import { openStore } from '../../../store/open-store';
import { moveItem } from '../../../store/snapshot';

const [dataDir, cycleId, no, to] = process.argv.slice(2);
void moveItem(openStore(dataDir!), cycleId!, { no: Number(no), to: to!, by: 'test' }).then((moved) => console.log(JSON.stringify(moved)));
