/* step.c - the training step (contract in train.h): the update that train_run
 * applies after its data-parallel gradient, and the whole single-process step
 * that modelcheck runs for the PyTorch twin. */
#include "trainer/train.h"

#include <math.h>

double train_update(model *m, optimizer *o, const train_config *tc, long step, long total_steps,
                    double *lr_mult)
{
    /* clip first: the optimiser sees the clipped gradient */
    double gn = grad_clip(m, tc->grad_clip);
    double mult = lr_schedule(tc, step, total_steps);
    if (lr_mult) *lr_mult = mult;
    /* a nan or inf gradient (a finite loss can have one: activations whose
     * squares overflow normalise to 0 forward, nan backward) is no update:
     * it made every weight nan, and the run's last step saved them */
    if (!isfinite(gn)) return gn;
    optim_step(o, m, mult);
    return gn;
}

int train_step(model *m, optimizer *o, const train_config *tc, const int32_t *in, const int32_t *tg, int B,
               int S, long step, long total_steps, float *loss, double *grad_norm, blalm_err *e)
{
    /* loss = mean CE(model(in), tg): in, tg [B, S] */
    if (model_forward(m, in, tg, B, S, loss, e) < 0) return -1;
    model_zero_grad(m);
    if (model_backward(m, e) < 0) return -1;
    double gn = train_update(m, o, tc, step, total_steps, NULL);
    if (grad_norm) *grad_norm = gn;
    if (!isfinite(gn)) return err_set(e, "step %ld: gradient norm is %g; lower the learning rate", step + 1, gn);
    return 0;
}
