# init's restart policy (user/init/restart.c): backoff doubling from the base
# delay up to its cap, the bound per window, forgetting restarts that left it.
HOST_TESTS += restart
HOST_SRCS_restart := user/init/restart.c
HOST_DEPS_restart := user/init/restart.h
HOST_CFLAGS_restart := -Iuser/init
