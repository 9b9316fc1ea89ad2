// placeholder until the sandbox lands
#include "script/sandbox.h"
