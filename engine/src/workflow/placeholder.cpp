// placeholder until the loader lands
#include "common/status.h"
