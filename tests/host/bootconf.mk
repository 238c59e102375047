# init's boot configuration parser (user/init/conf.c): every option, every
# error with its line number, references resolved across lines, the init.run=
# override, and random text (never a crash: ASan and UBSan watch).
HOST_TESTS += bootconf
HOST_SRCS_bootconf := user/init/conf.c
HOST_DEPS_bootconf := user/init/conf.h user/init/boot.conf user/init/boot-aarch64.conf \
                      user/init/boot-riscv64.conf
HOST_CFLAGS_bootconf := -Iuser/init
