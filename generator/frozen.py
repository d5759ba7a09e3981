"""Imported last by the workers' forkserver (workers.warm_up), after the renderers.

gc.freeze() moves everything the imports made into a generation the collector never
walks, as the gc docs advise before forking: the workers' collections then scan only what
their jobs made (WeasyPrint makes many objects), and the pages they share with the server
are not copied by the collector writing to them.
"""

import gc

gc.freeze()
