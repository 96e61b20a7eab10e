#ifndef SIGNALDESK_CBOTAN_SHIM_H
#define SIGNALDESK_CBOTAN_SHIM_H
#include <botan/ffi.h>
#endif
