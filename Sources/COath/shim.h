#ifndef SIGNALDESK_COATH_SHIM_H
#define SIGNALDESK_COATH_SHIM_H
#include <liboath/oath.h>
#endif
