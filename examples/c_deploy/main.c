/* Runs a kiln library from C: model.so and its header model.h, nothing else.
 *
 *   run_model IN0.bin [IN1.bin ...] OUT0.bin [OUT1.bin ...]
 *
 * Each file holds one tensor's raw bytes: row-major, native byte order, of the shape and
 * element type model.h states (numpy: x.astype(np.float32).tofile("in0.bin")). The
 * outputs are written the same way. Exit status: 0, or 1 with kiln's message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

static void *read_tensor(const char *path, int64_t bytes) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "run_model: cannot open %s\n", path);
    return NULL;
  }
  void *data = malloc(bytes > 0 ? (size_t)bytes : 1);
  size_t got = data ? fread(data, 1, (size_t)bytes, f) : 0;
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (!data || (int64_t)got != bytes || extra) {
    fprintf(stderr, "run_model: %s must hold exactly %lld bytes\n", path, (long long)bytes);
    free(data);
    return NULL;
  }
  return data;
}

static int write_tensor(const char *path, const void *data, int64_t bytes) {
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(data, 1, (size_t)bytes, f) == (size_t)bytes;
  if (f) ok = (fclose(f) == 0) && ok;
  if (!ok) fprintf(stderr, "run_model: cannot write %s\n", path);
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 1 + MODEL_NUM_INPUTS + MODEL_NUM_OUTPUTS) {
    fprintf(stderr, "usage: %s: %d input file(s), then %d output file(s)\n", argv[0],
            MODEL_NUM_INPUTS, MODEL_NUM_OUTPUTS);
    return 2;
  }
  const void *inputs[MODEL_NUM_INPUTS];
  void *outputs[MODEL_NUM_OUTPUTS];
  for (int i = 0; i < MODEL_NUM_INPUTS; ++i) {
    inputs[i] = read_tensor(argv[1 + i], MODEL_INPUT_BYTES[i]);
    if (!inputs[i]) return 1;
  }
  for (int i = 0; i < MODEL_NUM_OUTPUTS; ++i) {
    outputs[i] = malloc((size_t)MODEL_OUTPUT_BYTES[i]);
    if (!outputs[i]) return 1;
  }
  int status = model_run(inputs, outputs);
  if (status != KILN_OK) {
    fprintf(stderr, "run_model: error %d: %s\n", status, model_last_error());
    return 1;
  }
  for (int i = 0; i < MODEL_NUM_OUTPUTS; ++i) {
    if (!write_tensor(argv[1 + MODEL_NUM_INPUTS + i], outputs[i], MODEL_OUTPUT_BYTES[i]))
      return 1;
  }
  printf("run_model: ok (%d input(s), %d output(s), %d thread(s))\n", MODEL_NUM_INPUTS,
         MODEL_NUM_OUTPUTS, MODEL_THREADS);
  return 0;
}
